"""The proving tools: benchmarks, the fault runner and its router supervisor, the fuzz runner.

They measure and break the product; they are not part of it. This tree lives beside the product
packages in a checkout, is left out of the wheel, and may import any product package, while no
product package imports it (a unit test reads every product module's imports to keep it so).
Their commands are mounted under ``pentameter bench`` from :mod:`bench.commands`.
"""
