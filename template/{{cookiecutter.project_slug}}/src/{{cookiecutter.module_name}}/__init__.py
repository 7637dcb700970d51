"""The {{ cookiecutter.module_name }} package: the tasks of this ML repository.

Each task is a module runnable as ``python -m {{ cookiecutter.module_name }}.<task>``:
validate, train, evaluate, gate, lineage, drift, monitor, promote, audit, deploy, secrets{% if cookiecutter.deploy_target == 'webservice' %}, serve{% elif cookiecutter.deploy_target == 'batch' %}, batch{% elif cookiecutter.deploy_target == 'edge' %}, export{% elif cookiecutter.deploy_target == 'browser' %}, browser{% endif %}.
Their thresholds come from mlops.yaml (see settings.py).
"""

__version__ = "0.1.0"
