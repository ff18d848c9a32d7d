"""Intervention plans, the screening explanation with suggested interventions, and the public toolkit."""
