"""The branch service on top of everything: accounts, enrollment, cheque and banknote checks,
decisions, audit, settings, trusted keys and the installed app's self-test. The screens and
the commands call only this layer (and the leaves below it for display)."""
