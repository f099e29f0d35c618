"""What the benchmarks share. Not benchmarks themselves: `make bench` runs only the modules `bench/*.py`."""
