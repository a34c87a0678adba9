"""Layer kinds defined outside skscratch, as a contributor writes them, for the tests."""
