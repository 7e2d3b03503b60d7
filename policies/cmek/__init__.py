"""The pack folder as a package: the wheel ships it as `cmek_ml_policy_pack`, so an installed
cmek-ml can find it (`cmek-ml pack-path`). The CLI runs `__main__.py` from this folder; nothing
imports this file."""
