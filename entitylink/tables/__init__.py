"""Tables: a column of mentions in a DataFrame, file, Ray or Spark dataset → linked rows.

:mod:`.dataframe` links a pandas column, :mod:`.io` streams CSV/TSV/JSONL/Parquet files,
:mod:`.ray` spreads linking and name encoding over Ray actors, :mod:`.spark` over Spark.
"""
