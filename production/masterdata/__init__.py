"""Master data by file: products, BOM lines, lines, locations, suppliers (and, registered
by kanban, loops with their opening stock) imported and exported as CSV or XLSX with
django-import-export, in the admin and by `import_masterdata` / `export_masterdata`."""
