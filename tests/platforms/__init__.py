"""CI platform emitters: GitHub Actions, GitLab CI, Azure Pipelines, Terraform."""
