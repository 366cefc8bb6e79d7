terraform {
  required_version = ">= 1.10"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.0"
    }
  }

  # Remote state shared by CI and people, one state per workspace (staging, production); GCS
  # locks the state natively. deploy.sh configures this backend from TF_STATE_BUCKET; to use it
  # by hand, uncomment it:
  # backend "gcs" {
  #   bucket = "my-terraform-state"
  #   prefix = "{{ cookiecutter.project_slug }}/gcp-compute-engine"
  # }
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = {
    service     = var.name
    environment = var.environment
    managed-by  = "terraform"
  }
}
