# One subnet for the VMs; its NSG admits only the service port, from allowed_cidr, the load
# balancer's health probes and the availability test. No SSH from anywhere.

resource "azurerm_virtual_network" "main" {
  name                = "vnet-${local.prefix}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  address_space       = [var.vnet_cidr]
  tags                = local.tags
}

resource "azurerm_subnet" "vm" {
  name                            = "snet-vm"
  resource_group_name             = azurerm_resource_group.main.name
  virtual_network_name            = azurerm_virtual_network.main.name
  address_prefixes                = [cidrsubnet(var.vnet_cidr, 1, 0)]
  service_endpoints               = ["Microsoft.Storage"]
  default_outbound_access_enabled = false
}

resource "azurerm_network_security_group" "vm" {
  name                = "nsg-${local.prefix}-vm"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  tags                = local.tags

  security_rule {
    name                       = "allow-service-from-clients"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = var.allowed_cidr
    source_port_range          = "*"
    destination_address_prefix = "VirtualNetwork"
    destination_port_range     = tostring(local.port)
  }

  security_rule {
    name                       = "allow-service-from-availability-tests"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "ApplicationInsightsAvailability"
    source_port_range          = "*"
    destination_address_prefix = "VirtualNetwork"
    destination_port_range     = tostring(local.port)
  }

  security_rule {
    name                       = "allow-load-balancer-probes"
    priority                   = 120
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "AzureLoadBalancer"
    source_port_range          = "*"
    destination_address_prefix = "VirtualNetwork"
    destination_port_range     = tostring(local.port)
  }

  security_rule {
    name                       = "deny-all-other-inbound"
    priority                   = 4096
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_address_prefix      = "*"
    source_port_range          = "*"
    destination_address_prefix = "*"
    destination_port_range     = "*"
  }
}

resource "azurerm_subnet_network_security_group_association" "vm" {
  subnet_id                 = azurerm_subnet.vm.id
  network_security_group_id = azurerm_network_security_group.vm.id
}

resource "azurerm_public_ip" "service" {
  name                = "pip-${local.prefix}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  sku                 = "Standard"
  allocation_method   = "Static"
  zones               = var.zones
  tags                = local.tags
}

# Spreads requests over the healthy VMs (probe: GET /ready) and gives them outbound access
# (image pulls, uploads) through the same address.
resource "azurerm_lb" "service" {
  name                = "lb-${local.prefix}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  sku                 = "Standard"
  tags                = local.tags

  frontend_ip_configuration {
    name                 = "public"
    public_ip_address_id = azurerm_public_ip.service.id
  }
}

resource "azurerm_lb_backend_address_pool" "service" {
  name            = "vms"
  loadbalancer_id = azurerm_lb.service.id
}

resource "azurerm_lb_probe" "ready" {
  name                = "ready"
  loadbalancer_id     = azurerm_lb.service.id
  protocol            = "Http"
  port                = local.port
  request_path        = "/ready"
  interval_in_seconds = 5
  probe_threshold     = 2
}

resource "azurerm_lb_rule" "service" {
  name                           = "service"
  loadbalancer_id                = azurerm_lb.service.id
  frontend_ip_configuration_name = "public"
  backend_address_pool_ids       = [azurerm_lb_backend_address_pool.service.id]
  probe_id                       = azurerm_lb_probe.ready.id
  protocol                       = "Tcp"
  frontend_port                  = local.port
  backend_port                   = local.port
  idle_timeout_in_minutes        = 4
  disable_outbound_snat          = true
}

resource "azurerm_lb_outbound_rule" "egress" {
  name                     = "egress"
  loadbalancer_id          = azurerm_lb.service.id
  backend_address_pool_id  = azurerm_lb_backend_address_pool.service.id
  protocol                 = "All"
  allocated_outbound_ports = 1024

  frontend_ip_configuration {
    name = "public"
  }
}
