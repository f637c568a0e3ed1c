"""Shared by every test folder: this folder is on sys.path, so the helpers beside this file
(``fake_front_end``) import by name."""
