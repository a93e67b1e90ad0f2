"""Projects: owns proposals, their supports, and the projects accepted proposals become."""
