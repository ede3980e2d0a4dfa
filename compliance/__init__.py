"""Pre-dial eligibility rules: consent, DNC, frequency caps, federal and state calling windows.

Pure pandas and numpy on plain data. Never imports Prefect or the API client: tasks wrap it.
"""
