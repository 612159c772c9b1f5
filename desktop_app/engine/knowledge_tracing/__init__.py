"""Offline fitting and baselines for knowledge tracing (numpy; never imported by the app's
online path, which needs only `desktop_app.engine.mastery`)."""
