"""Input side of the workbook: real-export layouts and how files become contract tables."""
