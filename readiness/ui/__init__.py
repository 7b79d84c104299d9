"""The Streamlit side: cached access to the data and report, the shared URL state, and shared widgets.

The only part of the package that imports Streamlit; everything it shows comes from the report.
"""
