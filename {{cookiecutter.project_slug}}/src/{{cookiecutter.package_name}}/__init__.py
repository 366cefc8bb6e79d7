"""{{ cookiecutter.project_name }}: train and serve the demand model."""
