"""Streamlit glue: the ONLY subpackage of recsys_core that imports streamlit.

``page.setup`` starts every page; ``cache`` holds every ``st.cache_*``; ``state`` declares the
session-state keys; ``charts`` builds Altair charts as pure functions.
"""
