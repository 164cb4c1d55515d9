# Composite indexes from firestore.indexes.json (the file the emulator and `firebase deploy`
# read), keyed by their content so reordering the file changes nothing.
resource "google_firestore_index" "index" {
  for_each = {
    for index in local.firestore_indexes :
    "${index.collectionGroup}:${join(",", [for f in index.fields : "${f.fieldPath}.${try(f.order, f.arrayConfig)}"])}" => index
  }
  database    = var.firestore_database
  collection  = each.value.collectionGroup
  query_scope = try(each.value.queryScope, "COLLECTION")

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)
    }
  }
}

# TTL policies: Firestore deletes a document some time after its expire_at. The field is not
# indexed: an ever-increasing timestamp index would be a write hotspot and nothing queries it.
resource "google_firestore_field" "ttl" {
  for_each   = local.ttl_fields
  database   = var.firestore_database
  collection = each.key
  field      = each.value

  ttl_config {}

  index_config {}
}
