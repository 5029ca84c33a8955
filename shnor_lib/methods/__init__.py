"""Analysis methods: pure functions, DataFrame in → tidy DataFrame out (no I/O, no display)."""
