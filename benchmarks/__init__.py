"""Measurement code behind cleanppo/throughput.py and the records in results/ (importable: `benchmarks.<module>`)."""
