"""FIT-Connect's routing API: which destination serves a LeiKa service in a region (ARS, AGS or area id)."""
