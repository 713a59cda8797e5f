from peyvand.analytics.models.costs import CostEntry as CostEntry
from peyvand.analytics.models.costs import CustomerCost as CustomerCost
from peyvand.analytics.models.costs import DepartmentRate as DepartmentRate
