"""Thin Prefect tasks over `cxone` and `compliance`: open a client, call it, map errors.

May import `cxone`, `compliance` and `blocks`; never imported by them.
"""
