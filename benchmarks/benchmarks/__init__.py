"""asv benchmarks of accord (see ../asv.conf.json)."""
