terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  # State in Cloud Storage; its bucket and prefix are given to `terraform init -backend-config`
  # (`make init`, docs/deploy.md "Pipeline").
  backend "gcs" {}

  # Each provider version is the one the schema in package.json's @cdktf/provider-google{,-beta}
  # was generated from (14.13.0: hashicorp/google{,-beta} 6.14.0); `make terraform-check` checks
  # terraform/ against that schema (deploy/tfschema.py) and fails if they differ. Bump together.
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "= 6.14.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "= 6.14.0"
    }
  }
}

# Calls are billed and quota-checked against the project rather than the caller's credentials:
# with user credentials and no quota project the Firebase Rules and Identity Toolkit APIs answer
# 403 (https://firebase.google.com/docs/projects/terraform/get-started).
provider "google" {
  project               = var.project
  region                = var.region
  user_project_override = true
  billing_project       = var.project
}

provider "google-beta" {
  project               = var.project
  region                = var.region
  user_project_override = true
  billing_project       = var.project
}
