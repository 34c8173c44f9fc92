"""The user's repository: its ``[tool.slo]`` settings (:mod:`slo.project.config`) and the generated files
written into it atomically, or diffed for ``--check`` (:mod:`slo.project.output`)."""
