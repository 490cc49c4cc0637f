"""Economics of AI accelerators at AWS: data, parameters, models and the report builder."""
