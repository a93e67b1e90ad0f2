"""Events API listeners: what happened in the workspace, published to the bus."""
