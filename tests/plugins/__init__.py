"""Stand-ins for the pipeline's own seams, for tests of planning, assembly, parts and the cache
(like OCRmyPDF's no-op OCR engine in its tests/plugins/). Real renders stay in the e2e tests."""
