"""The monthly reporting round (月报): 填报 by project managers, 审核 by officials.

Only an accepted report counts: acceptance writes its figures to the register (the
month's investment, milestones reached, 入库), so every light, page, API answer and
briefing, which read the register, sees accepted figures and nothing else."""
