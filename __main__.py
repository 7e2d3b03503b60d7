"""cmek-ml: every enabled cloud's landing zone, under the customer's keys."""

from cmek_ml.landing_zones import build_landing_zones, read_stack_settings

build_landing_zones(read_stack_settings())
