"""Outside systems behind small interfaces: the embedded default beside the production adapter."""
