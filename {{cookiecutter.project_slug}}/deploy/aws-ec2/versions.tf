terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Remote state shared by CI and people, one state per workspace (staging, production).
  # deploy.sh configures this backend from TF_STATE_BUCKET; to use it by hand, uncomment it:
  # backend "s3" {
  #   bucket       = "my-terraform-state"
  #   key          = "{{ cookiecutter.project_slug }}/aws-ec2.tfstate"
  #   region       = "us-east-1"
  #   encrypt      = true
  #   use_lockfile = true # S3 native locking; older setups use dynamodb_table = "terraform-locks"
  # }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Service     = var.name
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}
