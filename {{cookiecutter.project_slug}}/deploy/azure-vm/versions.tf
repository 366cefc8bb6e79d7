terraform {
  required_version = ">= 1.10"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.14"
    }
  }

  # Remote state shared by CI and people, one state per workspace (staging, production).
  # deploy.sh configures this backend from TF_STATE_STORAGE_ACCOUNT; to use it by hand, uncomment it:
  # backend "azurerm" {
  #   resource_group_name  = "tfstate"
  #   storage_account_name = "mytfstate"
  #   container_name       = "tfstate"
  #   key                  = "{{ cookiecutter.project_slug }}/azure-vm.tfstate"
  #   use_azuread_auth     = true # Entra ID (OIDC in CI) instead of storage account keys
  # }
}

provider "azurerm" {
  subscription_id     = var.subscription_id
  storage_use_azuread = true

  features {
    # Application Insights adds its smart detection alert rules to the resource group by itself;
    # they must not block `terraform destroy`.
    resource_group {
      prevent_deletion_if_contains_resources = false
    }

    # The capture account admits the VM subnet only, so the runner's calls to its blob, queue and
    # file endpoints get 403. Everything storage.tf manages (the account, its blob properties, the
    # container, the lifecycle policy) goes through Azure Resource Manager; this stops the provider
    # from reading data-plane properties (queue_properties, static_website) it does not need.
    storage {
      data_plane_available = false
    }
  }
}
