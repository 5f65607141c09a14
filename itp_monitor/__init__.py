"""ITP Monitor: rhTPO treatment and platelet counts of pregnant women with ITP, on the ward."""

__version__ = "0.1.0"
