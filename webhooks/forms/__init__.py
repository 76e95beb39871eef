"""The public web forms: short, accessible NHS.UK pages for carers and patients."""
