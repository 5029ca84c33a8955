"""The report: notebook execution, HTML, the site, the prose built from params, and one module per section in ``sections/``."""
