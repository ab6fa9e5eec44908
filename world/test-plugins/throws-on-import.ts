// Test plugin: a module that fails while it is imported.
throw new Error('this module refuses to load');
