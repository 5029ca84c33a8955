"""The synthetic demo municipality and region."""
