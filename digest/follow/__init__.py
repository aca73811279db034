"""Following a paper: the follows themselves, what ingestion notices changing on a followed
paper (its events), and the updates each reader's next digest opens with."""
