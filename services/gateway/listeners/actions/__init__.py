"""Block actions: buttons in messages, App Home and modals."""
