//! Azure Resource Manager client: credentials, retries, LROs, paging, typed models.
