"""What the clouds would answer, for runs under Pulumi's mock engine.

One module per cloud registers handlers by type token; `cloud_state.World` dispatches to them.
"""
