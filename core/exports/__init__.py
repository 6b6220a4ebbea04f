"""Downloads, built as bytes from core's read models and never written to disk:
`tables` (the .xlsx and .csv files: a licence's history, search results and the dashboard's
licence list, the dashboard's figures) and `pdf` (the licence form and the blank form)."""
