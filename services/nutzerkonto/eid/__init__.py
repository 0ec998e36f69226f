"""eID service API: online services read the ID card through the Nutzerkonto as through an eID-Server (BSI TR-03130)."""
