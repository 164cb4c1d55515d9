# The database, its location pinned. On a project where the console created it, `make bootstrap`
# imports it first (deploy/bootstrap_steps.py). ABANDON: a destroy leaves the data in place, and
# prevent_destroy turns a location change (which would replace it) into a plan error.
resource "google_firestore_database" "default" {
  name            = var.firestore_database
  location_id     = var.firestore_location
  type            = "FIRESTORE_NATIVE"
  deletion_policy = "ABANDON"

  lifecycle {
    prevent_destroy = true
  }

  depends_on = [google_project_service.enabled]
}

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

  depends_on = [google_firestore_database.default]
}

# Single-field index settings from firestore.indexes.json's fieldOverrides (the file the emulator
# reads), keyed by collection group and field. An override replaces the automatic indexes of its
# field (COLLECTION scope, ascending and descending), so it lists those it keeps beside the
# COLLECTION_GROUP ones it adds.
locals {
  firestore_field_overrides = {
    for o in jsondecode(file("${path.module}/../firestore.indexes.json")).fieldOverrides :
    "${o.collectionGroup}/${o.fieldPath}" => o
  }
}

resource "google_firestore_field" "index" {
  for_each   = local.firestore_field_overrides
  database   = var.firestore_database
  collection = each.value.collectionGroup
  field      = each.value.fieldPath

  index_config {
    dynamic "indexes" {
      for_each = each.value.indexes
      content {
        query_scope  = try(indexes.value.queryScope, "COLLECTION")
        order        = try(indexes.value.order, null)
        array_config = try(indexes.value.arrayConfig, null)
      }
    }
  }

  lifecycle {
    # Two resources on one field would undo each other's settings on every apply.
    precondition {
      condition     = try(local.ttl_fields[each.value.collectionGroup], null) != each.value.fieldPath
      error_message = "${each.key} is a TTL field: its index_config belongs to google_firestore_field.ttl."
    }
  }

  depends_on = [google_firestore_database.default]
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

  depends_on = [google_firestore_database.default]
}

# The security rules the emulator enforces in tests (firestore.rules) are the ones production
# runs: without a release, a database keeps whatever rules it was created with (test mode lets
# any holder of the app's API key write entitlements).
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project

  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/../firestore.rules")
    }
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [google_project_service.enabled]
}

resource "google_firebaserules_release" "firestore" {
  project      = var.project
  name         = var.firestore_database == "(default)" ? "cloud.firestore" : "cloud.firestore/${var.firestore_database}"
  ruleset_name = "projects/${var.project}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }

  # Creating the database creates this release, so it is imported, never created
  # (https://github.com/hashicorp/terraform-provider-google/issues/20917; deploy/bootstrap_steps.py).
  depends_on = [google_firestore_database.default, google_project_service.enabled]
}
