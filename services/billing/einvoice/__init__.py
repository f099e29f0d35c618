"""The e-invoice as the tax authority's XML data document (HDon), and the schema it is checked against."""
