"""`make bench`: the hot paths measured at zone, city and province scale (README: Performance)."""
