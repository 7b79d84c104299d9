"""Statistics as pure functions: no Streamlit, no DuckDB; checked against independent references in tests."""
