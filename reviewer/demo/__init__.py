"""The bundled demo corpus: 423 arXiv papers on medical image segmentation and medical
foundation models (the ``*.txt`` files here, arXiv listings and Hugging Face daily-paper
pages). ``reviewer demo`` and ``reviewer ingest --demo`` read it."""

TOPIC = "adapting the Segment Anything Model to medical image segmentation"
DESCRIPTION = "423 medical-imaging papers"
