"""Bezahlplattform: ePayment platform: XBezahldienste API, hosted checkout, giropay/PayPal/card/SEPA adapters, Kasse."""
