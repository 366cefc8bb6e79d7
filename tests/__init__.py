"""Tests of the template: both engines, every answer combination, updates and migrations."""
